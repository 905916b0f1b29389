"""The askdoc chat: a Textual app for asking questions of a folder of articles."""
