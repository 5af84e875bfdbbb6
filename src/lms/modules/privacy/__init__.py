"""Privacy: a person's right to a copy of their data and to its erasure (GDPR articles
15, 17 and 20). Every module says how it exports and erases its part
(``lms.core.privacy.PersonalDataHandler`` on its surface, registered in
``lms/wiring.py``); this module runs them: export jobs that write a ZIP to storage and
email the link, scheduled and immediate erasures, and the periodic job that carries out
due erasures and deletes expired archives.

Public surface: ``PERSONAL_DATA`` (its own tables: exports and erasure requests),
``OUTBOX_EMAILS`` (the emails addressed to the person, which the emails module cannot
attribute to an account), ``erase_account`` and ``carry_out_due_erasures`` (for the
command line and operators), and ``routers``."""

from lms.modules.privacy.outbox_emails import PERSONAL_DATA as OUTBOX_EMAILS
from lms.modules.privacy.personal_data import PERSONAL_DATA
from lms.modules.privacy.router import routers
from lms.modules.privacy.service import carry_out_due_erasures, erase_account

__all__ = ["OUTBOX_EMAILS", "PERSONAL_DATA", "carry_out_due_erasures", "erase_account", "routers"]
