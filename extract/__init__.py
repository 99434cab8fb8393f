"""`concordat extract`: read an agreement's own words and draft its TOML.

Rule-based and offline: the text is split into numbered clauses and sentences
(`extract.clauses`), each sentence is read by the phrase rules in `extract.phrases`, and the
findings become a draft agreement file and a report (`extract.draft`). The same text always
gives the same draft.
"""
