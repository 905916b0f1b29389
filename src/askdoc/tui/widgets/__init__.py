"""The chat's widgets, one a module: question input, transcript, answers, quotes, progress, article view."""
