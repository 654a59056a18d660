"""Who may do what with calls for candidates. The calls and the positions they offer are
public: anyone reads them, before signing up."""

import rules

rules.add_perm("candidates.read_call", rules.always_allow)
