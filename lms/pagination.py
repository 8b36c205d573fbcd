"""Which page of a list is shown: what templates/_macros/pagination.html reads."""

from dataclasses import dataclass
from math import ceil


@dataclass
class ListPage:
    """A page of a list counted by its own query (a thread's replies, the board, the catalog)."""

    page: int
    per_page: int
    total: int
    items: list | None = None  # the page's rows, for lists that hand them over with the page

    @property
    def pages(self):
        return ceil(self.total / self.per_page)

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def prev_num(self):
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def next_num(self):
        return self.page + 1 if self.has_next else None
