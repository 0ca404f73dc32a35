# The pages of this app (core.pages.record_urls).
urlpatterns: list = []
