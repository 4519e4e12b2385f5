"""Drafts: what a documenter typed into an incident or statement form, kept on the server
until the form is saved, so a closed tab or a lost connection loses nothing."""
