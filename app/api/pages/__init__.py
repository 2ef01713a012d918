"""The page for people at ``/``: search, facets, a timeline of coverage and the article itself
as HTML, rendered on the server (``rendering``) from Jinja2 templates, with the timeline drawn as
SVG (``chart``) and one style sheet and one small script of this server's own (``static/``)."""
