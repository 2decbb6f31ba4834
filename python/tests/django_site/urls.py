from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def log_in(request: HttpRequest) -> HttpResponse:
    user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
    if user is None:
        return HttpResponse(status=401)
    login(request, user)
    return HttpResponse(status=204)


urlpatterns = [
    path("login/", log_in),
    path("api/mizan/", include("mizan_django.urls")),
]
