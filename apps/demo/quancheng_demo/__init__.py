"""`make demo`: the main job of 泉城链 end to end on the embedded default."""
