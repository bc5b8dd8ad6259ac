"""The keys of the catalogue as types, one module per module of texts (written by
tests/project/test_texts.py --write-keys); catalogue/access.py joins them into TextKey."""
