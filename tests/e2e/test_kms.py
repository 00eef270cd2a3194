"""The KMS-compatible key service on Halyard's endpoint (`TrentService.*`,
signed for `kms`), with boto3's `kms` client and the AWS CLI: keys and
their states, aliases, rotation, encryption with encryption contexts,
data keys, tags, key policies with IAM policies, and KMS's errors."""

import base64
import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import CREDENTIALS, REGION, aws

ACCOUNT = "000000000000"
ARN_PREFIX = f"arn:aws:kms:{REGION}:{ACCOUNT}"


def kms_client(server, credentials=None):
    return boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
                        **(credentials or CREDENTIALS))


@pytest.fixture
def kms(server):
    return kms_client(server)


@pytest.fixture
def name():
    return f"k{uuid.uuid4().hex[:10]}"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def code_of(call, *args, **kwargs):
    return error_of(call, *args, **kwargs)[1]


def new_key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]


def test_create_describe_and_list_keys(kms, name):
    created = new_key(kms, Description=f"{name} key", Tags=[{"TagKey": "team", "TagValue": "blue"}])
    key_id = created["KeyId"]
    assert created["Arn"] == f"{ARN_PREFIX}:key/{key_id}"
    assert uuid.UUID(key_id).version == 4
    expected = {
        "AWSAccountId": ACCOUNT, "Enabled": True, "Description": f"{name} key", "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
    }
    assert {k: created[k] for k in expected} == expected
    assert created["CreationDate"].year >= 2024

    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key_id)
    for identifier in (key_id, created["Arn"], f"alias/{name}", f"{ARN_PREFIX}:alias/{name}"):
        assert kms.describe_key(KeyId=identifier)["KeyMetadata"]["KeyId"] == key_id

    listed = [k for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2})
              for k in page["Keys"]]
    assert {"KeyId": key_id, "KeyArn": created["Arn"]} in listed
    first = kms.list_keys(Limit=1)
    if len(listed) > 1:
        assert first["Truncated"] is True and first["NextMarker"]

    missing = str(uuid.uuid4())
    assert error_of(kms.describe_key, KeyId=missing) == (
        400, "NotFoundException", f"Key '{ARN_PREFIX}:key/{missing}' does not exist")
    assert error_of(kms.describe_key, KeyId="not-a-key") == (400, "NotFoundException", "Invalid keyId not-a-key")
    assert error_of(kms.describe_key, KeyId=f"alias/{name}-none") == (
        400, "NotFoundException", f"Alias {ARN_PREFIX}:alias/{name}-none is not found.")


def test_create_key_refuses_what_it_does_not_support(kms):
    assert error_of(kms.create_key, KeySpec="RSA_9") == (
        400, "ValidationException",
        "1 validation error detected: Value 'RSA_9' at 'keySpec' failed to satisfy constraint: Member must satisfy "
        "enum value set: [SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, "
        "ECC_NIST_P521, ECC_SECG_P256K1, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, "
        "ML_DSA_87, ECC_NIST_EDWARDS25519]")
    assert code_of(kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY") == "UnsupportedOperationException"
    assert code_of(kms.create_key, MultiRegion=True) == "UnsupportedOperationException"
    assert code_of(kms.create_key, Policy="{not json") == "MalformedPolicyDocumentException"
    assert code_of(kms.create_key, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}]) == "TagException"
    # A policy that would lock the caller out of the key is refused unless
    # the caller says it means it.
    locked = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:Encrypt", "Resource": "*"}]})
    assert error_of(kms.create_key, Policy=locked) == (
        400, "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.")
    assert new_key(kms, Policy=locked, BypassPolicyLockoutSafetyCheck=True)["KeyState"] == "Enabled"


def test_encrypt_decrypt_with_encryption_context(kms, name):
    key = new_key(kms)
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key["KeyId"])
    context = {"table": "orders", "purpose": "test"}
    encrypted = kms.encrypt(KeyId=f"alias/{name}", Plaintext=b"card 4111-1111-1111-1111", EncryptionContext=context)
    assert encrypted["KeyId"] == key["Arn"] and encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = encrypted["CiphertextBlob"]
    assert b"4111" not in blob
    # The blob names its key: no KeyId needed; the context's order is not.
    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(context.items()))))
    assert decrypted["Plaintext"] == b"card 4111-1111-1111-1111" and decrypted["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=key["Arn"])["Plaintext"].startswith(b"card")

    assert error_of(kms.decrypt, CiphertextBlob=blob) == (400, "InvalidCiphertextException", "")
    assert code_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"table": "orders"}) == \
        "InvalidCiphertextException"
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    assert code_of(kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=context) == \
        "InvalidCiphertextException"
    assert code_of(kms.decrypt, CiphertextBlob=b"x" * 80) == "InvalidCiphertextException"
    other = new_key(kms)
    assert error_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=context, KeyId=other["KeyId"]) == (
        400, "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.")

    re = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=context, DestinationKeyId=other["KeyId"],
                        DestinationEncryptionContext={"moved": "yes"})
    assert re["SourceKeyId"] == key["Arn"] and re["KeyId"] == other["Arn"]
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"moved": "yes"})["KeyId"] == other["Arn"]

    assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097)[1:] == (
        "ValidationException",
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=4097 cap=4097]' at 'plaintext' "
        "failed to satisfy constraint: Member must have length less than or equal to 4096")
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1") == \
        "InvalidKeyUsageException"
    assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", DryRun=True)[1] == "DryRunOperationException"


def test_data_keys_and_random(kms):
    key = new_key(kms)
    data = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"a": "b"})
    assert len(data["Plaintext"]) == 32 and data["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=data["CiphertextBlob"], EncryptionContext={"a": "b"})["Plaintext"] == \
        data["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=7)["Plaintext"]) == 7
    assert len(kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16
    bare = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in bare
    assert len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 32
    assert error_of(kms.generate_data_key, KeyId=key["KeyId"]) == (
        400, "ValidationException", "Please specify either number of bytes or key spec.")
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32) == \
        "ValidationException"
    assert error_of(kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=1025)[2] == (
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024")
    randoms = {kms.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(3)}
    assert len(randoms) == 3 and all(len(r) == 32 for r in randoms)


def test_disabled_key_and_pending_deletion(kms):
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Disabled" and described["Enabled"] is False
    assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == (
        400, "DisabledException", f"{key['Arn']} is disabled.")
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "DisabledException"
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256") == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"

    for days in (6, 31):
        bound = "greater than or equal to 7" if days < 7 else "less than or equal to 30"
        assert error_of(kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=days)[1:] == (
            "ValidationException",
            f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: "
            f"Member must have value {bound}")
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert scheduled["KeyId"] == key["Arn"] and scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and described["DeletionDate"] == scheduled["DeletionDate"]
    pending = (400, "KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    assert error_of(kms.decrypt, CiphertextBlob=blob) == pending
    assert error_of(kms.enable_key, KeyId=key["KeyId"]) == pending
    assert error_of(kms.schedule_key_deletion, KeyId=key["KeyId"]) == pending
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    # Cancelling leaves the key disabled, as KMS does.
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert error_of(kms.cancel_key_deletion, KeyId=key["KeyId"]) == (
        400, "KMSInvalidStateException", f"{key['Arn']} is not pending deletion.")
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_rotation_keeps_old_ciphertexts_decryptable(kms):
    key = new_key(kms)
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old", EncryptionContext={"v": "1"})["CiphertextBlob"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert status["KeyId"] == key["Arn"] and "NextRotationDate" in status
    assert code_of(kms.enable_key_rotation, KeyId=key["KeyId"], RotationPeriodInDays=89) == "ValidationException"

    assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["KeyId"]
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    after = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=before, EncryptionContext={"v": "1"})["Plaintext"] == b"old"
    assert kms.decrypt(CiphertextBlob=after)["Plaintext"] == b"new"
    assert before[:41] != after[:41]  # a new version seals new ciphertexts

    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    kms.disable_key(KeyId=key["KeyId"])
    assert code_of(kms.rotate_key_on_demand, KeyId=key["KeyId"]) == "DisabledException"
    assert code_of(kms.enable_key_rotation, KeyId=key["KeyId"]) == "DisabledException"


def test_aliases(kms, name):
    first, second = new_key(kms), new_key(kms)
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=first["KeyId"])
    assert error_of(kms.create_alias, AliasName=f"alias/{name}", TargetKeyId=second["KeyId"]) == (
        400, "AlreadyExistsException", f"An alias with the name {ARN_PREFIX}:alias/{name} already exists")
    assert error_of(kms.create_alias, AliasName=name, TargetKeyId=first["KeyId"])[1:] == (
        "InvalidAliasNameException",
        'Alias must start with the prefix "alias/". Please see '
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
    assert code_of(kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=first["KeyId"]) == \
        "InvalidAliasNameException"
    assert error_of(kms.create_alias, AliasName="alias/a b", TargetKeyId=first["KeyId"])[2] == (
        "1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
    assert code_of(kms.create_alias, AliasName=f"alias/{name}-2", TargetKeyId=f"alias/{name}") == \
        "NotFoundException"

    listed = kms.list_aliases(KeyId=first["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["AliasArn"], a["TargetKeyId"]) for a in listed] == [
        (f"alias/{name}", f"{ARN_PREFIX}:alias/{name}", first["KeyId"])]
    kms.update_alias(AliasName=f"alias/{name}", TargetKeyId=second["Arn"])
    assert kms.list_aliases(KeyId=first["KeyId"])["Aliases"] == []
    assert kms.describe_key(KeyId=f"alias/{name}")["KeyMetadata"]["KeyId"] == second["KeyId"]
    everything = [a["AliasName"] for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    assert f"alias/{name}" in everything
    kms.delete_alias(AliasName=f"alias/{name}")
    assert error_of(kms.delete_alias, AliasName=f"alias/{name}") == (
        400, "NotFoundException", f"Alias {ARN_PREFIX}:alias/{name} is not found.")
    assert error_of(kms.update_alias, AliasName=f"alias/{name}", TargetKeyId=first["KeyId"])[1] == \
        "NotFoundException"


def test_aws_managed_dynamodb_key_is_created_on_first_use(kms):
    described = kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]
    assert described["KeyManager"] == "AWS" and described["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]["KeyId"] == described["KeyId"]
    # Usable only through DynamoDB, not directly.
    assert code_of(kms.encrypt, KeyId="alias/aws/dynamodb", Plaintext=b"x") == "AccessDeniedException"
    assert code_of(kms.disable_key, KeyId=described["KeyId"]) == "AccessDeniedException"


def test_tags(kms):
    key = new_key(kms, Tags=[{"TagKey": "b", "TagValue": "1"}])
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "a", "TagValue": "2"}, {"TagKey": "b", "TagValue": "3"}])
    assert kms.list_resource_tags(KeyId=key["Arn"])["Tags"] == [
        {"TagKey": "a", "TagValue": "2"}, {"TagKey": "b", "TagValue": "3"}]
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["a"])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "b", "TagValue": "3"}]
    assert error_of(kms.tag_resource, KeyId=key["KeyId"], Tags=[{"TagKey": "aws:x", "TagValue": "1"}])[1:] == (
        "TagException", "Tags beginning with aws: are reserved")
    assert code_of(kms.tag_resource, KeyId=key["KeyId"],
                   Tags=[{"TagKey": f"t{i}", "TagValue": "v"} for i in range(51)]) == "TagException"


def iam_user(server, name, policy):
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, **CREDENTIALS)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="kms", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return kms_client(server, {"aws_access_key_id": key["AccessKeyId"],
                               "aws_secret_access_key": key["SecretAccessKey"]})


def test_key_policies_and_iam_policies(server, kms, name):
    key = new_key(kms)
    default = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert default["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]

    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    allowed = iam_user(server, name, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": key["Arn"]}]})
    # The default key policy delegates to IAM: the user's policy allows.
    blob = allowed.encrypt(KeyId=key["KeyId"], Plaintext=b"hi")["CiphertextBlob"]
    assert allowed.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hi"
    assert error_of(allowed.disable_key, KeyId=key["KeyId"]) == (
        400, "AccessDeniedException",
        f"User: {user_arn} is not authorized to perform: kms:DisableKey on resource: {key['Arn']} "
        "because no identity-based policy allows the kms:DisableKey action")
    assert code_of(allowed.create_key) == "AccessDeniedException"

    # A key policy that no longer delegates to IAM: the IAM policy is not
    # enough; one naming the user is.
    root = f"arn:aws:iam::{ACCOUNT}:root"
    own = {"Version": "2012-10-17", "Statement": [
        {"Sid": "admin", "Effect": "Allow", "Principal": {"AWS": root}, "Action": ["kms:PutKeyPolicy",
         "kms:GetKeyPolicy", "kms:DescribeKey"], "Resource": "*"}]}
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(own))
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"]) == own
    assert error_of(allowed.encrypt, KeyId=key["KeyId"], Plaintext=b"hi") == (
        400, "AccessDeniedException",
        f"User: {user_arn} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
        "because no resource-based policy allows the kms:Encrypt action")
    # The root is subject to the key policy too.
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"hi") == "AccessDeniedException"
    own["Statement"].append({"Sid": "user", "Effect": "Allow", "Principal": {"AWS": user_arn},
                             "Action": "kms:Decrypt", "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], Policy=json.dumps(own))
    assert allowed.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hi"

    # A Deny in the key policy wins over any Allow.
    own["Statement"].append({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
                             "Resource": "*", "Condition": {"StringEquals": {"aws:username": name}}})
    kms.put_key_policy(KeyId=key["KeyId"], Policy=json.dumps(own))
    assert error_of(allowed.decrypt, CiphertextBlob=blob)[2].endswith(
        "with an explicit deny in a resource-based policy")

    # An IAM Deny also wins, with the default policy.
    other = new_key(kms)
    denied = iam_user(server, f"{name}-d", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": other["Arn"]}]})
    assert denied.describe_key(KeyId=other["KeyId"])["KeyMetadata"]["KeyId"] == other["KeyId"]
    assert error_of(denied.encrypt, KeyId=other["KeyId"], Plaintext=b"x")[2].endswith(
        "with an explicit deny in an identity-based policy")
    # Encryption-context conditions.
    scoped = iam_user(server, f"{name}-c", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": other["Arn"],
         "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "t1"}}}]})
    scoped.encrypt(KeyId=other["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "t1"})
    assert code_of(scoped.encrypt, KeyId=other["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "t2"}) == \
        "AccessDeniedException"
    assert code_of(kms.put_key_policy, KeyId=other["KeyId"], Policy="{") == "MalformedPolicyDocumentException"


def test_wire_errors(server, kms):
    import urllib.request
    from harness import sign
    body = b"{}"
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.NoSuchThing"}
    headers.update(sign(server.endpoint + "/", body, headers, service="kms"))
    request = urllib.request.Request(server.endpoint + "/", data=body, headers=headers, method="POST")
    try:
        urllib.request.urlopen(request)
        raise AssertionError("an unknown operation succeeded")
    except urllib.error.HTTPError as error:
        assert error.code == 400
        assert json.loads(error.read()) == {"__type": "UnknownOperationException"}
    # Signed for another service.
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"}
    headers.update(sign(server.endpoint + "/", body, headers, service="dynamodb"))
    request = urllib.request.Request(server.endpoint + "/", data=body, headers=headers, method="POST")
    try:
        urllib.request.urlopen(request)
        raise AssertionError("a request signed for dynamodb reached KMS")
    except urllib.error.HTTPError as error:
        assert json.loads(error.read())["__type"] == "InvalidSignatureException"
    bad = kms_client(server, {"aws_access_key_id": "AKIDNOBODY", "aws_secret_access_key": "x"})
    assert code_of(bad.list_keys) == "UnrecognizedClientException"


def test_cli_round_trips(server, tmp_path, name):
    def cli(*args, check=True):
        return aws(server, *args, service="kms", check=check)

    key = json.loads(cli("create-key", "--description", "cli key", "--tags", "TagKey=env,TagValue=test").stdout)
    key_id = key["KeyMetadata"]["KeyId"]
    cli("create-alias", "--alias-name", f"alias/{name}", "--target-key-id", key_id)
    assert json.loads(cli("describe-key", "--key-id", f"alias/{name}").stdout)["KeyMetadata"]["KeyId"] == key_id
    assert key_id in [k["KeyId"] for k in json.loads(cli("list-keys").stdout)["Keys"]]
    assert [a["AliasName"] for a in json.loads(cli("list-aliases", "--key-id", key_id).stdout)["Aliases"]] == \
        [f"alias/{name}"]
    second = json.loads(cli("create-key").stdout)["KeyMetadata"]["KeyId"]
    cli("update-alias", "--alias-name", f"alias/{name}", "--target-key-id", second)

    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"social 123-45-6789")
    encrypted = json.loads(cli("encrypt", "--key-id", key_id, "--plaintext", f"fileb://{plain}",
                               "--encryption-context", "purpose=cli").stdout)
    blob = tmp_path / "blob"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    decrypted = json.loads(cli("decrypt", "--ciphertext-blob", f"fileb://{blob}",
                               "--encryption-context", "purpose=cli").stdout)
    assert base64.b64decode(decrypted["Plaintext"]) == b"social 123-45-6789"
    failed = cli("decrypt", "--ciphertext-blob", f"fileb://{blob}", check=False)
    assert failed.returncode != 0 and "InvalidCiphertextException" in failed.stderr
    reencrypted = json.loads(cli("re-encrypt", "--ciphertext-blob", f"fileb://{blob}", "--source-encryption-context",
                                 "purpose=cli", "--destination-key-id", second).stdout)
    assert reencrypted["KeyId"].endswith(second)

    data_key = json.loads(cli("generate-data-key", "--key-id", key_id, "--key-spec", "AES_256").stdout)
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    assert "Plaintext" not in json.loads(cli("generate-data-key-without-plaintext", "--key-id", key_id,
                                             "--number-of-bytes", "16").stdout)
    assert len(base64.b64decode(json.loads(cli("generate-random", "--number-of-bytes", "24").stdout)["Plaintext"])) \
        == 24

    cli("enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "180")
    assert json.loads(cli("get-key-rotation-status", "--key-id", key_id).stdout)["RotationPeriodInDays"] == 180
    cli("rotate-key-on-demand", "--key-id", key_id)
    assert len(json.loads(cli("list-key-rotations", "--key-id", key_id).stdout)["Rotations"]) == 1
    assert base64.b64decode(json.loads(cli("decrypt", "--ciphertext-blob", f"fileb://{blob}",
                                           "--encryption-context", "purpose=cli").stdout)["Plaintext"]) == \
        b"social 123-45-6789"
    cli("disable-key-rotation", "--key-id", key_id)

    cli("tag-resource", "--key-id", key_id, "--tags", "TagKey=owner,TagValue=me")
    cli("untag-resource", "--key-id", key_id, "--tag-keys", "env")
    assert json.loads(cli("list-resource-tags", "--key-id", key_id).stdout)["Tags"] == \
        [{"TagKey": "owner", "TagValue": "me"}]
    policy = json.loads(cli("get-key-policy", "--key-id", key_id, "--policy-name", "default").stdout)["Policy"]
    cli("put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", policy)

    cli("disable-key", "--key-id", key_id)
    failed = cli("encrypt", "--key-id", key_id, "--plaintext", f"fileb://{plain}", check=False)
    assert "DisabledException" in failed.stderr
    cli("enable-key", "--key-id", key_id)
    scheduled = json.loads(cli("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7").stdout)
    assert scheduled["KeyState"] == "PendingDeletion"
    cli("cancel-key-deletion", "--key-id", key_id)
    cli("delete-alias", "--alias-name", f"alias/{name}")
    failed = cli("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "3", check=False)
    assert "ValidationException" in failed.stderr
