"""forumbot's platform-neutral core: message types, matching, FAQ service, storage."""
