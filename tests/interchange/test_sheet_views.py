"""Spreadsheet import in the browser: upload, columns, review (writes nothing), accept."""

from __future__ import annotations

import html
import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from evidence.accounts.services import create_user
from evidence.audit.models import AuditEntry
from evidence.interchange.models import SheetMapping, SheetUpload
from evidence.models import Incident, Place
from tests.factories import make_person, make_place, make_unit
from tests.webclient import PASSWORD, make_users, sign_in, without_csrf

CSV = (
    "\ufeffTitle,When,Where,Unit,Person\n"
    "Beating at the Okrestina gates,каля жніўня 2020,Мінск,омон,Тарайковский\n"
    "Detention on Pushkinskaya,2020-08-10,Minsk,OMON,\n"
)


def counts(session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Incident)),
        session.scalar(select(func.count()).select_from(Place)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def documenter(app, session, name: str = "documenter"):
    client = without_csrf(app).test_client()
    sign_in(client, name)
    return client


def upload(client, data: bytes, filename: str = "incidents.csv", kind: str = "incidents"):
    return client.post(
        "/imports/sheet/",
        data={"file": (io.BytesIO(data), filename), "kind": kind},
        content_type="multipart/form-data",
    )


def known(session) -> None:
    make_users(session)
    make_person(session, name="Taraikovsky", aliases=["Тарайковский"])
    make_unit(session, name="OMON", aliases=["ОМОН"])
    make_place(session, name="Minsk", aliases=["Мінск"])
    session.commit()


def test_a_documenter_maps_reviews_and_imports_a_sheet_with_names_in_any_script(app, session):
    known(session)
    client = documenter(app, session)
    before = counts(session)

    response = upload(client, CSV.encode())
    assert response.status_code == 302
    columns_url = response.headers["Location"]
    page = client.get(columns_url).get_data(as_text=True)
    # Headers spelled like the fields are chosen already: "Title" holds the title.
    assert re.search(r'<option selected value="Title">|<option value="Title" selected>', page)
    response = client.post(
        columns_url,
        data={
            "title": "Title",
            "date": "When",
            "place": "Where",
            "units": "Unit",
            "persons": "Person",
            "save_as": "Monthly incidents sheet",
        },
    )
    assert response.status_code == 302
    review_url = response.headers["Location"]
    review = client.get(review_url).get_data(as_text=True)
    assert "link" in review and "OMON" in review and "Minsk" in review
    assert "Accept and import 2 rows" in review
    assert counts(session) == before  # the review wrote nothing

    response = client.post(review_url, data={"accept": "1"})
    assert response.status_code == 302
    assert "Created 2 incidents" in client.get(response.headers["Location"]).get_data(as_text=True)
    incident = session.scalar(select(Incident).where(Incident.title.like("Beating%")))
    assert incident.date == "2020-08~"
    assert incident.place.name == "Minsk"
    assert [i.unit.name for i in incident.involvements if i.unit] == ["OMON"]
    assert [i.person.name for i in incident.involvements if i.person] == ["Taraikovsky"]
    imported, places, entries = counts(session)
    assert (imported, places) == (before[0] + 2, before[1]) and entries > before[2]
    kept = session.scalar(select(SheetUpload))
    assert kept.content is None and kept.imported_at is not None
    saved = session.scalar(select(SheetMapping))
    assert (saved.name, saved.mapping["date"]) == ("Monthly incidents sheet", "When")


def test_an_ambiguous_name_is_chosen_and_a_missing_one_created_only_when_asked(app, session):
    known(session)
    make_place(session, name="Minsk district", key="minsk-district", aliases=["Мінск"])
    session.commit()
    client = documenter(app, session)
    response = upload(
        client, "Title,When,Where\nAt the gates,2020,Мінск\nIn Hrodna,2021,Hrodna\n".encode()
    )
    columns_url = response.headers["Location"]
    review_url = client.post(
        columns_url, data={"title": "Title", "date": "When", "place": "Where"}
    ).headers["Location"]
    page = client.get(review_url).get_data(as_text=True)
    assert "ambiguous: choose" in page and "matches no place" in page
    before = counts(session)
    refused = client.post(review_url, data={"accept": "1"}).get_data(as_text=True)
    assert "problem" in refused and counts(session) == before

    choice = re.search(r'name="(choice-[0-9a-f]+)" value="(\d)"> minsk-district', page)
    assert choice, page
    client.post(review_url, data={choice.group(1): choice.group(2), "create_missing": "1"})
    response = client.post(review_url, data={"create_missing": "1", "accept": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    gates = session.scalar(select(Incident).where(Incident.title == "At the gates"))
    assert gates.place.key == "minsk-district"
    hrodna = session.scalar(select(Incident).where(Incident.title == "In Hrodna"))
    assert hrodna.place.name == "Hrodna"


def test_an_xlsx_sheet_is_read_and_a_saved_mapping_reused(app, session):
    known(session)
    session.add(
        SheetMapping(
            kind="incidents",
            name="Field team",
            mapping={"title": "Што", "date": "Калі"},
            saved_by="documenter",
        )
    )
    session.commit()
    workbook = Workbook()
    workbook.active.append(["Што", "Калі"])
    workbook.active.append(["Затрыманне каля Акрэсціна", "2020-08-11"])
    data = io.BytesIO()
    workbook.save(data)
    client = documenter(app, session)
    columns_url = upload(client, data.getvalue(), "field.xlsx").headers["Location"]
    page = client.get(f"{columns_url}?mapping=Field+team").get_data(as_text=True)
    assert re.search(r'<option selected value="Што">|<option value="Што" selected>', page)
    review_url = client.post(columns_url, data={"title": "Што", "date": "Калі"}).headers["Location"]
    assert client.post(review_url, data={"accept": "1"}).status_code == 302
    assert session.scalar(select(Incident).where(Incident.title == "Затрыманне каля Акрэсціна"))


def test_a_bad_file_or_mapping_is_named_and_nothing_is_kept(app, session):
    known(session)
    client = documenter(app, session)
    response = upload(client, b"just text", "notes.txt")
    assert response.status_code == 400
    assert "give a .csv or .xlsx file" in response.get_data(as_text=True)
    response = upload(client, b"\xff\xfe\x00bad", "broken.csv")
    assert response.status_code == 400 and "not UTF-8" in response.get_data(as_text=True)
    response = upload(client, b"Title\n" + b"x" * 200_000 + b"\n", "huge-cell.csv")
    assert response.status_code == 400 and "not a readable CSV file" in response.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(SheetUpload)) == 0

    columns_url = upload(client, CSV.encode()).headers["Location"]
    response = client.post(columns_url, data={"title": "Title"})
    assert response.status_code == 400
    assert 'incidents need the field "date"' in html.unescape(response.get_data(as_text=True))


def test_only_the_uploader_sees_a_sheet_and_only_documenters_import(app, session):
    known(session)
    create_user(session, name="other-documenter", role="documenter", password=PASSWORD)
    session.commit()
    columns_url = upload(documenter(app, session), CSV.encode()).headers["Location"]
    upload_id = columns_url.rstrip("/").split("/")[-2]
    other = documenter(app, session, "other-documenter")
    for url in (columns_url, f"/imports/sheet/{upload_id}/review"):
        assert other.get(url).status_code == 404
    assert other.post(f"/imports/sheet/{upload_id}/discard").status_code == 404
    for role in ("viewer", "lawyer", "auditor"):
        client = without_csrf(app).test_client()
        sign_in(client, role)
        assert client.get("/imports/sheet/").status_code == 403
    assert session.scalar(select(func.count()).select_from(SheetUpload)) == 1


def test_a_sheet_over_its_own_limit_is_refused_under_the_file_field_and_nothing_is_kept(
    app, session
):
    """A sheet is kept in the database and read again at each step: it has a bound of its
    own (EVIDENCE_MAX_SHEET_MB), far below that of exhibits (EVIDENCE_MAX_UPLOAD_MB)."""
    known(session)
    app.config["MAX_SHEET_MB"] = 1
    row = "Detention on Pushkinskaya " + "x" * 1000 + ",2020-08-10\n"
    sheet = ("Title,When\n" + row * 1100).encode()
    assert 1024 * 1024 < len(sheet) < app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    client = documenter(app, session)

    response = upload(client, sheet)
    assert response.status_code == 400
    assert '<a href="#file">Spreadsheet: larger than 1 MB</a>' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(SheetUpload)) == 0
    assert upload(client, sheet[: 1024 * 1024 - 100].rsplit(b"\n", 1)[0]).status_code == 302

    app.config["MAX_CONTENT_LENGTH"] = len(sheet) // 2  # the request itself is refused
    response = upload(client, sheet)
    assert response.status_code == 400
    assert "Spreadsheet: larger than the limit of 1 MB" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(SheetUpload)) == 1


def test_a_belarusian_documenter_reads_the_review_and_the_summary_in_belarusian(app, session):
    known(session)
    client = documenter(app, session)
    client.set_cookie("evidence_language", "be")
    sheet = "Title,When,Where\nAt the gates,2020-13,Мінск\nIn Hrodna,2021,Hrodna\n"
    columns_url = upload(client, sheet.encode()).headers["Location"]
    review_url = client.post(
        columns_url, data={"title": "Title", "date": "When", "place": "Where"}
    ).headers["Location"]
    review = html.unescape(client.get(review_url).get_data(as_text=True))
    assert 'радок 3, слупок «Where»: "Hrodna" не адпавядае ніводнаму запісу (месца)' in review
    assert "радок 2, слупок «When»: «2020-13» — гэта не дата, якую можна прачытаць" in review
    assert "matches no" not in review
    assert "is not a valid EDTF date" not in review

    fixed = "Title,When,Where\nAt the gates,2020,Мінск\nOn the square,2021,Minsk\n"
    columns_url = upload(client, fixed.encode()).headers["Location"]
    review_url = client.post(
        columns_url, data={"title": "Title", "date": "When", "place": "Where"}
    ).headers["Location"]
    response = client.post(review_url, data={"accept": "1"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Створана: 2 інцыдэнты" in page
    # Opened again later (the notice is gone), the page still says it in Belarusian.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("Створана: 2 інцыдэнты") == 1
    assert "Created" not in page
