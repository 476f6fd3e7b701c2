"""Chain lifecycle for 泉城链: the local EVM node, compilation, deployment and the manifest."""
