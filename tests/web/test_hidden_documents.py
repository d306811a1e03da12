"""The page of a document in another department's case file is the page of an unknown one."""

from __future__ import annotations

import uuid

from tests.api.support import upload


def test_the_web_page_of_a_hidden_document_is_the_page_of_an_unknown_one(town, browser_for):
    case_file = town.case_file()
    document = upload(town.anna, case_file["id"], b"Bescheid").get_json()
    ben = browser_for("ben")
    for path in ("/dokumente/{id}", "/dokumente/{id}/inhalt"):
        hidden = ben.get(path.format(id=document["id"]))
        missing = ben.get(path.format(id=uuid.uuid4()))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_data(as_text=True) == missing.get_data(as_text=True)
