"""Input formats: each reads a file's bytes into its articles (a text file holds one, a JSON
Lines export many). A new format is one reader (a module here returning ``Record``s) and one
entry in ``READERS`` (``readers``).

Every reader decodes the bytes first (``decoding``). Markdown's YAML front matter and the fields
of JSON exports override what the text says (``fields``); the mapping is in the README ("Other
input formats"). Every reader costs time and memory in proportion to the file at most (its
patterns never backtrack over a line, front matter is small and has no aliases, an export has a
bounded number of records), so that no file can stall a run.
"""
