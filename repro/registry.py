"""Named registries (search spaces, strategies, profiles), in the style of timm's ``register_model``."""

from __future__ import annotations

import fnmatch
from importlib.metadata import entry_points
from collections.abc import Iterator
from typing import Generic, TypeVar

from repro.errors import ReproError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object mapping that refuses silent overwrites and explains unknown names."""

    def __init__(self, kind: str, plugins: str | None = None) -> None:
        """``plugins``: an entry-point group whose modules register more items; loaded once, when a name is missing
        or the names are listed, so packages outside the library (the papers) add to it without an import cycle."""
        self.kind = kind
        self._items: dict[str, T] = {}
        self._plugins = plugins

    def _load_plugins(self) -> None:
        group, self._plugins = self._plugins, None
        if group is None:
            return
        for point in entry_points(group=group):
            try:
                point.load()
            except Exception as exc:  # a broken plugin must name itself, not surface as an unknown name
                raise ReproError(f"{self.kind} plugin {point.name!r} ({point.value}) failed to load: {exc}") from exc

    def register(self, name: str, item: T) -> T:
        """Add ``item`` under ``name``; a second registration of the same name is an error."""
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        """Return the item registered as ``name``, or a ReproError listing the known names."""
        if name not in self._items:
            self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise ReproError(f"unknown {self.kind} {name!r}; choose one of: {known}") from None

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching a shell-style ``pattern``, sorted."""
        self._load_plugins()
        return sorted(n for n in self._items if fnmatch.fnmatch(n, pattern))

    def __contains__(self, name: object) -> bool:
        if name not in self._items:
            self._load_plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
