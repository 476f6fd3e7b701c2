"""``python -m quancheng_datagen --department vehicle --people 1000 --db sqlite:///v.db``."""

from quancheng_datagen.cli import main

main()
