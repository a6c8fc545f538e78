"""The playground (`logitlab serve`): a FastAPI app (web.app.create_app) and its page.

The server only turns requests into the package's settings, calls the library on one worker
thread, and answers with the library's records (logitlab.records). Needs the `web` extra.
"""
