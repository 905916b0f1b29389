"""The errors askdoc raises for things a user can fix; the CLI and chat turn them into messages."""


class AskdocError(Exception):
    """Something the user can act on; the message says what and how."""


class CorpusError(AskdocError):
    """The corpus folder is missing, empty or unreadable."""


class ArticleNotFound(AskdocError):
    """An article id (or paragraph) that the corpus does not have."""
