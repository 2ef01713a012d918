"""Telling people when news arrives: saved searches matched against each batch of changes as
it is committed (``matching``), and the matches POSTed to their webhooks (``webhooks``), to the
hosts allowed (``destinations``), signed (``signatures``).

Alerts stand on the store and search; the API (its routes, its server) and the CLI (ingestion's
rounds of matching) use them, and hand them what is the API's to shape: a delivery's body.
"""
