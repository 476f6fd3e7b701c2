"""Tests of ``quancheng.crypto``: SM2, SM3, SM4, sealing, canonical JSON, recipes."""
