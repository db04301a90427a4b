"""How late the watch's catch-up sends a document (grantflow.deadlines.late_by), in working days
counted by hand from the demo calendar."""

from datetime import date

from grantflow.deadlines import calendar, late_by
from grantflow.register import open_register


def test_a_status_report_is_late_after_its_send_date_any_other_after_its_deadline(config_dir):
    items = {i.key: i for i in calendar(open_register(config_dir))}
    status = items["status:haugaland-velferdsteknologi:2016-10-07"]     # send Friday 7.10, meeting 14.10
    assert late_by(status, date(2016, 10, 7)) == 0
    assert late_by(status, date(2016, 10, 11)) == 2                     # Monday 10 and Tuesday 11
    erp = items["status:kongsbergregionen-erp:2014-05-02"]              # send Friday 2.5.2014, meeting 8.5
    assert late_by(erp, date(2014, 5, 6)) == 2                          # Monday 5 and Tuesday 6
    usage = items["usage:nord-gudbrandsdal:2020-01-15"]                 # made from 2.1.2020, deadline 15.1
    assert late_by(usage, date(2020, 1, 6)) == 0                        # caught up, still before the deadline
    assert late_by(usage, date(2020, 1, 15)) == 0
    assert late_by(usage, date(2020, 1, 20)) == 3                       # Thursday 16, Friday 17, Monday 20
