"""The portal's routes: pages, session and key, grants, access history, health."""
