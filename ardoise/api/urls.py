from django.urls import path

from ardoise.api.api import api
from ardoise.api.docs import documentation

urlpatterns = [
    path("v1/docs", documentation, name="api_docs"),
    path("v1/", api.urls),
]
