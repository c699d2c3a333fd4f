"""Seed the working-day calendar 2024–2027 and the default business hours (each case kind's
SLA policies are seeded by its own app).

Holidays and make-up working weekends come from the ``holidays`` package; a year for which
the package lists no make-up working day is seeded as provisional (not confirmed). More
years: ``python manage.py calendar seed --years 2028``.
"""

from django.db import migrations
from django.utils import timezone

YEARS = range(2024, 2028)



def _schedule(year):
    import holidays

    try:
        china = holidays.China(years=year, language="zh_CN")
    except (NotImplementedError, KeyError):
        china = holidays.China(years=year)
    days_off = sorted((day, str(name)) for day, name in china.items() if day.year == year)
    workdays = sorted(
        (day, "调休上班") for day in getattr(china, "weekend_workdays", ()) if day.year == year
    )
    return days_off, workdays


def seed(apps, schema_editor):
    import datetime as dt

    CalendarYear = apps.get_model("sla", "CalendarYear")
    CalendarDay = apps.get_model("sla", "CalendarDay")
    BusinessHours = apps.get_model("sla", "BusinessHours")

    now = timezone.now()
    for year in YEARS:
        days_off, workdays = _schedule(year)
        is_confirmed = bool(workdays)
        CalendarYear.objects.get_or_create(
            year=year,
            defaults={
                "is_confirmed": is_confirmed,
                "confirmed_at": now if is_confirmed else None,
                "note": "由 holidays 软件包导入" + ("" if is_confirmed else "（官方安排未公布，暂定）"),
            },
        )
        for day, name in days_off:
            CalendarDay.objects.get_or_create(date=day, defaults={"kind": "holiday", "name": name})
        for day, name in workdays:
            CalendarDay.objects.get_or_create(date=day, defaults={"kind": "workday", "name": name})

    if not BusinessHours.objects.exists():
        BusinessHours.objects.create(start=dt.time(8, 30), end=dt.time(12, 0), ordering=1)
        BusinessHours.objects.create(start=dt.time(13, 30), end=dt.time(17, 30), ordering=2)



class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
