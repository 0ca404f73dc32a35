import pytest
from tests.core.test_admin import *  # noqa

def test_dbg(alice, partner_a):
    incident = _incident(alice, partner_a, casualties=[])
    client = _client(alice)
    page = client.get("/admin/incidents/casualty/add/")
    response = client.post("/admin/incidents/casualty/add/", {**_form_data(page), "incident": incident.pk, "outcome": "injured", "age": "15"})
    casualty = Casualty.objects.get()
    url = f"/admin/incidents/casualty/{casualty.pk}/change/"
    r = client.post(url, {**_form_data(client.get(url)), "age": "40"})
    print(r.context["adminform"].form.errors, r.context["adminform"].form.data)
    assert 0
