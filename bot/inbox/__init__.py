"""The unanswered-questions inbox: what is logged of a question, grouping similar ones, the
moderators' inbox desk and its chat commands, and the stats table.

It imports the shared modules of `bot` and `bot.faq` (questions become phrasings and entries);
never contracts, storage or the platforms.
"""
