"""The provider gateway framework of 泉城链: verified queries, receipts, anchoring, chain view."""
