"""Pages of 100 (up to 1000) by number, or a cursor for syncing large sets."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class RecordCursorPagination(CursorPagination):
    # Oldest change first: a sync resumes from its last cursor and never misses a change.
    ordering = ("updated_at", "id")
    page_size = 100

    def get_ordering(self, request, queryset, view):
        # Whatever order a list offers, a sync goes through changes oldest first.
        return self.ordering

    page_size_query_param = "page_size"
    max_page_size = 1000


class RecordPagination(PageNumberPagination):
    """Page numbers by default; `?cursor=` (or `?pagination=cursor` to start) switches to
    cursor pagination ordered by last change, stable while records are added."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    cursor_class = RecordCursorPagination

    def _cursor_mode(self, request) -> bool:
        return "cursor" in request.query_params or request.query_params.get("pagination") == "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        if self._cursor_mode(request):
            self._cursor = self.cursor_class()
            return self._cursor.paginate_queryset(queryset, request, view)
        self._cursor = None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self._cursor is not None:
            response = self._cursor.get_paginated_response(data)
            response.data = {"count": None, **response.data}
            return response
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["count"]["nullable"] = True
        shape["properties"]["count"]["description"] = "Total number of records; null in cursor mode."
        return shape

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        return [
            *parameters,
            {
                "name": "pagination",
                "required": False,
                "in": "query",
                "description": "`cursor` to page by cursor, ordered by last change (for sync).",
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
