"""A small least-recently-used map, safe to share between the threads of one app process.

Used for what every process may keep in memory because its key names everything it depends on (a course's
syllabus at a syllabus_version, a rendered fragment of a page): nothing is ever invalidated, entries for
old keys simply age out."""

import threading
from collections import OrderedDict


class LRUCache:
    def __init__(self, size):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def __len__(self):
        return len(self.items)
