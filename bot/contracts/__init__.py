"""Members' contracts: the contract model and its views, JSON and CSV import, changes from the
marketplace's signed webhook and its events, payment notices, linking an identity to an
account, the personal desk that answers a linked member from their own data, and the demo data.

It imports the shared modules of `bot` and the FAQ entries (`bot.faq`: the personal desk
answers the personal topics); never the inbox, storage or the platforms.
"""
