"""The API's pages: Django REST framework's numbered pages, with an empty ``page`` refused
like any other page that is not a number (404 "invalid page") instead of read as the
first page — the schema says ``page`` is an integer."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) == "":
            return ""  # not a number: the paginator refuses it
        return super().get_page_number(request, paginator)
