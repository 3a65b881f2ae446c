"""The email studio: the console's pages for templates, previews, test sends and the send log."""
