"""DeskChat: a desktop chat client for language models.

The packages below this one, bottom floor first (each imports only those under it):

- :mod:`deskchat.errors`: the one error root every package's errors derive from.
- :mod:`deskchat.gguf` and :mod:`deskchat.paths`: the GGUF header reader the library
  and the engine share; the data folder the store and the library share.
- :mod:`deskchat.provider`, :mod:`deskchat.store` and :mod:`deskchat.library`:
  talking to model servers; keeping the history; the model files. None imports
  another, and none imports Qt.
- :mod:`deskchat.chat`: the chat core (conversations, sending, saving, options);
  no Qt.
- :mod:`deskchat.cli` and :mod:`deskchat.gui`: the command line and the window.

Importing this package loads nothing else.
"""
