"""The catalogue: provider profiles, priced offers, dated slots, search and the Open Referral UK feed."""
