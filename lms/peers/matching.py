"""Look-ahead for review allocation: hand a reviewer a submission without stranding anyone else.

Greedy "fewest reviews, oldest first" can leave the last learners with only their own submission to
review (about one run in three with 5 learners and 2 reviews each). Seen as a bipartite b-matching
(reviewers who still owe reviews -> submissions that still need them), a choice is safe when it keeps the
maximum matching as large as it can be. Pure Python, no database access; the caller keeps the sets small.
"""


def _max_flow(needs, capacity, edges, first=None):
    """Size of a maximum b-matching; `first` gets its first unit before anyone else (None if it cannot)."""
    load = dict.fromkeys(capacity, 0)
    assigned = {r: [] for r in edges}

    def augment(start):
        seen = set()

        def visit(r):
            for s in edges[r]:
                if s in seen or s in assigned[r]:
                    continue
                seen.add(s)
                if load[s] < capacity[s]:
                    assigned[r].append(s)
                    load[s] += 1
                    return True
                for holder, taken in assigned.items():
                    if holder != r and s in taken:
                        taken.remove(s)  # try to re-route the holder's unit elsewhere
                        if visit(holder):
                            assigned[r].append(s)
                            return True
                        taken.append(s)
            return False

        return visit(start)

    total = 0
    if first is not None:
        if not augment(first):
            return None
        total = 1
    for reviewer, need in needs.items():
        for _ in range(need - (1 if reviewer == first else 0)):
            if not augment(reviewer):
                break
            total += 1
    return total


def choose_submission(reviewer, ordered_candidates, needs, capacity, allowed):
    """The best-ranked candidate for `reviewer` that keeps the matching of everyone maximal, or None.

    reviewer: id; ordered_candidates: submission ids the reviewer may take, best first;
    needs: {reviewer_id: reviews still owed}; capacity: {submission_id: reviews still needed};
    allowed(reviewer_id, submission_id) -> bool for the other reviewers.
    """
    if not ordered_candidates:
        return None
    needs = {r: n for r, n in needs.items() if n > 0}
    needs[reviewer] = max(needs.get(reviewer, 1), 1)
    edges = {r: [s for s in capacity if allowed(r, s)] for r in needs if r != reviewer}
    edges[reviewer] = [s for s in ordered_candidates if s in capacity]
    best = _max_flow(needs, capacity, edges, first=reviewer)
    if best is None:
        return None
    for candidate in edges[reviewer]:
        rest_capacity = {**capacity, candidate: capacity[candidate] - 1}
        rest_needs = {**needs, reviewer: needs[reviewer] - 1}
        rest_edges = {**edges, reviewer: [s for s in edges[reviewer] if s != candidate]}
        if _max_flow(rest_needs, rest_capacity, rest_edges) == best - 1:
            return candidate
    return edges[reviewer][0]
