"""Telling people when news arrives: saved searches matched against each batch of changes as
it is committed (``matching``), and the matches POSTed to their webhooks (``webhooks``)."""
