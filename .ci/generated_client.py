"""A client generated from openapi.yaml by openapi-python-client, used as an integration team would
use it, from the contract's words alone: log in, open a record, refer the child, decide the referral,
and verify an audit checkpoint's signature by rebuilding the signed text as the contract words it.

Usage: generated_client.py GENERATED_DIR BASE_URL   (run by .ci/schemathesis against a live server)
Prints one line per check and a closing "client: N passed, M failed".
"""

import datetime
import sys
import time

sys.path.insert(0, sys.argv[1])
base = sys.argv[2]

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402
from mash_client import AuthenticatedClient, Client  # noqa: E402
from mash_client.api.audit import list_audit_checkpoints  # noqa: E402
from mash_client.api.auth import login  # noqa: E402
from mash_client.api.children import create_child  # noqa: E402
from mash_client.api.process import create_referral, decide_referral, get_referral  # noqa: E402
from mash_client.models import LoginRequest, NewChild, NewDecision, NewReferral, ReferralDecision  # noqa: E402

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAILED: {what}")
    return ok


def session(username, password):
    answer = login.sync(client=Client(base_url=base), body=LoginRequest(username=username, password=password))
    return AuthenticatedClient(base_url=base, token=answer.access_token)


health = session("health_demo", "health-demo-pass")
social_care = session("social_care_demo", "social-care-demo-pass")
facilitator = session("facilitator_demo", "facilitator-demo-pass")

child = create_child.sync(
    client=health,
    body=NewChild.from_dict({"given_name": "Gen", "family_name": "Client", "date_of_birth": "2006-03-01"}),
)
check(child is not None and child.family_name == "Client", "a record is opened")
referral = create_referral.sync(
    client=health,
    child_id=child.id,
    body=NewReferral.from_dict(
        {"occurred_at": "2006-12-11T12:00:00Z", "referrer": "professional", "to_agency": "social_care",
         "summary": "GP found bruising to the face and chest", "concern_level": "high"}
    ),
)
check(referral is not None and referral.to_dict()["record_type"] == "referral", "health refers the child to social care")
decided = decide_referral.sync_detailed(
    client=social_care,
    child_id=child.id,
    referral_id=referral.id,
    body=NewDecision(
        occurred_at=datetime.datetime(2006, 12, 12, 10, tzinfo=datetime.timezone.utc),
        decision=ReferralDecision.STRATEGY_DISCUSSION,
        reason="Unexplained bruising to a baby's face",
    ),
)
check(decided.status_code == 201, f"social care decides the referral with the contract's own body ({decided.status_code})")
check(
    decided.parsed is not None and decided.parsed.to_dict().get("state") == "decided",
    "the answer parses as the contract's process record, decided",
)
again = get_referral.sync(client=health, child_id=child.id, referral_id=referral.id)
check(again is not None and again.to_dict()["history"][0]["decision"] == "strategy_discussion", "the decision is on the referral's history")

# A checkpoint: signed at least every MASH_AUDIT_CHECKPOINT_EVERY while the trail grows.
page = None
deadline = time.time() + 30
while time.time() < deadline:
    page = list_audit_checkpoints.sync(client=facilitator)
    if page is not None and page.items:
        break
    time.sleep(0.5)
if check(page is not None and bool(page.items), "a signed checkpoint is listed"):
    c = page.items[0]
    # The contract's words: `mash audit checkpoint`, position, head hash, made_at in RFC 3339 UTC with
    # six fractional digits and Z, each line ended by a line feed; Ed25519 over its UTF-8 bytes.
    made_at = c.made_at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rebuilt = f"mash audit checkpoint\n{c.position}\n{c.head_hash}\n{made_at}\n"
    check(c.statement == rebuilt, "the statement is what the contract says it is")
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(c.public_key))
    try:
        key.verify(bytes.fromhex(c.signature), rebuilt.encode())
        check(True, "the checkpoint's signature verifies over the rebuilt statement")
    except Exception as error:  # noqa: BLE001
        check(False, f"the checkpoint's signature verifies over the rebuilt statement ({error!r})")

print(f"client: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
