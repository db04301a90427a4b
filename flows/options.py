"""The document flows' delivery options, without Prefect: ``grantflow run`` builds them before it
knows whether the run happens here or on a server, and importing Prefect costs seconds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr


class DeliveryOptions(BaseModel):
    """How a document flow delivers (a form in the Prefect UI)."""

    send: bool = Field(True, description="Send the document; off = only produce it.")
    transport: Literal["outbox", "smtp"] | None = Field(None, description="Default: from config/grantflow.yaml.")
    pdf: bool = Field(False, description="Also make a PDF (needs LibreOffice on the worker).")
    resend: bool = Field(False, description="Send even to recipients who already have this version.")
    approved: bool = Field(False, description="Approval given in advance (otherwise external sending waits "
                                              "for an approver in the Prefect UI); in a run started from a "
                                              "deployment only when signed by 'grantflow run --yes'.")
    override_reason: str = Field("", description="With 'approved': why to send although the data have errors.")
    approved_by: str = Field("", max_length=200, description="With 'approved': who approved in advance (recorded).")
    approved_by_login: bool = Field(False, description="'approved_by' is the login of whoever started the run, "
                                                       "not a name they gave (recorded as such).")
    approval_comment: str = Field("", max_length=2000, description="With 'approved': a comment recorded with "
                                                                   "the approval.")
    approval_timeout_seconds: int | None = Field(
        None, description="Give up waiting for approval after this many seconds, at least 3600 (default: wait; "
                          "the approver is reminded after delivery.approval_reminder_days working days).")
    funders: list[str] = Field(default_factory=list, description=(
        "Ids of the project's funders whose deadline asks for this document: it goes to them too "
        "(the deadline watch fills this in)."))
    config: str | None = Field(None, description="Config folder; default $GRANTFLOW_CONFIG or ./config.")
    out: str | None = Field(None, description="Outputs folder; default from config.")
    approval_token: str = Field("", max_length=200, description=(
        "Set by 'grantflow run --yes' on the machine (a signature of these parameters); 'approved' "
        "without it is ignored in a run started from a deployment."))
    # why the approval in these options was ignored (a deployment run's, unsigned): told in the record
    _ignored: str = PrivateAttr("")

    def unsigned(self) -> dict:
        """These options as signed (``grantflow.advance``): everything but the token."""
        return self.model_dump(mode="json", exclude={"approval_token"})

    def signed(self, flow_name: str, params: dict) -> "DeliveryOptions":
        """A copy carrying the signature of a run of ``flow_name`` with ``params`` and these options."""
        from grantflow.advance import sign

        return self.model_copy(update={"approval_token": sign(flow_name, params, self.unsigned())})

    def claims_approval(self) -> bool:
        return bool(self.approved or self.approved_by or self.approved_by_login or self.approval_comment)

    def without_approval(self, why: str) -> None:
        """Approval in advance these options claim, ignored (in place: the run's steps hold them)."""
        for name, value in (("approved", False), ("approved_by", ""), ("approved_by_login", False),
                            ("approval_comment", ""), ("override_reason", ""), ("approval_token", "")):
            setattr(self, name, value)
        self._ignored = why
