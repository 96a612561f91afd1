"""What comes in from the drafts channel: messages, their edits and deletions, their images and times."""
