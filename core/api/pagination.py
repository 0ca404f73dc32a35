"""Pages of 100 (up to 1000). A list that fits in one page comes whole, with its count; a longer one
comes by cursor in its own order (`next` links, `count` null), so that its 5,000th page costs what
its first does and no request counts a million records; `?page=N` asks for numbered pages, counted up
to 10,000 records; `?pagination=cursor` pages through changes, oldest first, for syncing."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# Numbered pages are counted exactly up to here: a bounded count reads at most this many records
# (70 ms for 10,000 in a box of the map over a million incidents).
COUNT_UP_TO = 10_000


class RecordCursorPagination(CursorPagination):
    """For sync: oldest change first, so that a sync resumes from its last cursor and never misses a
    change, whatever order the list offers."""

    ordering = ("updated_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_ordering(self, request, queryset, view):
        return self.ordering


class ListCursorPagination(CursorPagination):
    """A large list in its own order (`?ordering=`, else the view's), by cursor."""

    ordering = ("-updated_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def bounded_count(queryset, limit: int = COUNT_UP_TO) -> int | None:
    """How many records the list holds, or None when more than `limit`."""
    count = queryset.order_by().values("pk")[: limit + 1].count()
    return None if count > limit else count


class RecordPagination(PageNumberPagination):
    """By cursor in the list's order, with the count of a list that fits in one page; numbered with
    `?page=`; through changes, oldest first, with `?pagination=cursor`."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    cursor_class = RecordCursorPagination
    list_cursor_class = ListCursorPagination

    def paginate_queryset(self, queryset, request, view=None, *, counted=None):
        """`counted`: the records to count, when `queryset` reads more than them (values, joins)."""
        self.request = request
        self._counted = queryset if counted is None else counted
        self._cursor = None
        self._whole = False
        params = request.query_params
        syncing = params.get("pagination") == "cursor"
        if not syncing and self.page_query_param in params:
            return self._numbered(queryset, request, view)
        self._cursor = self.cursor_class() if syncing else self.list_cursor_class()
        page = self._cursor.paginate_queryset(queryset, request, view)
        # A list's first page, and no next one: the whole list, counted as it is.
        self._whole = not syncing and "cursor" not in params and not self._cursor.has_next
        return page

    def _numbered(self, queryset, request, view):
        size = self.get_page_size(request)
        try:
            number = int(request.query_params[self.page_query_param])
            if not 1 <= number <= 10**9:
                raise ValueError
        except ValueError:
            raise NotFound(self.invalid_page_message) from None
        self._count = bounded_count(self._counted)
        offset = (number - 1) * size
        # One record beyond the page tells whether there is a next one.
        rows = list(queryset[offset : offset + size + 1])
        self._has_next = len(rows) > size
        rows = rows[:size]
        if not rows and number > 1:
            raise NotFound(self.invalid_page_message)
        self._number = number
        return rows

    def get_next_link(self):
        if not self._has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self._number + 1)

    def get_previous_link(self):
        if self._number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self._number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self._number - 1)

    def get_paginated_response(self, data):
        if self._cursor is not None:
            response = self._cursor.get_paginated_response(data)
            response.data = {"count": len(data) if self._whole else None, **response.data}
            return response
        return Response(
            {"count": self._count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["count"]["nullable"] = True
        shape["properties"]["count"]["description"] = (
            "Number of records in the list when it fits in this page, or, with `page`, when it holds at most "
            f"{COUNT_UP_TO:,}; otherwise null (follow the `next` link)."
        )
        return shape

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        return [
            *parameters,
            {
                "name": "pagination",
                "required": False,
                "in": "query",
                "description": "`cursor` to page through changes, oldest first (for sync); without it and without "
                "`page`, a list longer than a page comes by cursor in its own order.",
                "schema": {"type": "string", "enum": ["page", "cursor"]},
            },
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "The cursor of the `next` or `previous` link.",
                "schema": {"type": "string"},
            },
        ]
