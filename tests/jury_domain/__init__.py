"""A second kind of dossier for the jury engine, installed for the tests only.

Applications (`Entry`) to a small call of their own (`EntryCall`), judged anonymously: unlike
a défi, an entry belongs to one person, has no administration, and its jurors must never learn
who wrote it. The engine's test suite runs on défis and on entries (see `tests/jury_kit.py`),
so that nothing in `eig.jury` can assume it is judging défis.
"""
