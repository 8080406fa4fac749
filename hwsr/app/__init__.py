"""``hwsr app``: a local web app to write on a page and read it back, and to type text and
watch it being written, in a bundled style or in your own hand.

`hwsr.app.server` builds the Starlette application, `hwsr.app.service` holds the models and
what each request does with them, `hwsr.app.payloads` checks and converts request bodies,
`hwsr.app.limits` bounds the work, and ``static/`` is the page (no CDN, nothing downloaded).
"""
