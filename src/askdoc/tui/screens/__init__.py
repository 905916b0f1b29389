"""The chat's screens: the conversation, the article reader and the list of articles."""
