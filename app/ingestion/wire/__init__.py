"""Wire copy: the plain-text conventions of an article, decoded text in, ``ParsedArticle`` out.

The format is specified in the README ("Input format"). In short: the first non-blank line is the
headline, a ``By NAME`` line under it gives the authors, the body's lines are paragraphs (or, when
hard-wrapped, blocks of lines are), the first paragraph may open with a dateline such as
``(LONDON) --`` or ``NEW YORK, March 3 (Reuters) -`` and the closing lines may be a rights notice
(``Copyright © 2025, ABC Audio.``) or a ``REUTER`` sign-off.

``parse`` runs the steps, a module each: ``headline``, ``byline``, ``closing``, ``paragraphs``,
``dateline`` and ``dates`` (the day the dateline's date names, the article's ``published_at``).
Nothing here knows of files or of the database.
"""
