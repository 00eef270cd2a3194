"""Creates the IAM user that benchmarks/auth-session.sh measures as: a user
with an access key and a ten-statement inline policy allowing the benchmark
tables (created here, as halyard-bench would create them), confined by
dynamodb:LeadingKeys to the benchmark's keys (`user...`, `part...`).

    python3 benchmarks/auth_setup.py ENDPOINT ROOT_KEY ROOT_SECRET

Prints `ACCESS_KEY_ID SECRET` on stdout. Needs boto3.
"""
import json
import sys

import boto3

REGION = "us-east-1"
USER = "bench-user"
TABLES = ["halyard_bench", "halyard_bench_range"]


def policy(account):
    base = f"arn:aws:dynamodb:{REGION}:{account}:table/"
    tables = [base + t for t in TABLES]
    indexes = base + "halyard_bench*/index/*"
    streams = base + "halyard_bench*/stream/*"
    everything = base + "halyard_bench*"  # the tables, their indexes and streams
    leading_keys = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["user*", "part*"]}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow",
             "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
             "Resource": tables, "Condition": leading_keys},
            {"Effect": "Allow",
             "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                        "dynamodb:BatchWriteItem"],
             "Resource": tables, "Condition": leading_keys},
            {"Effect": "Allow", "Action": "dynamodb:Query",
             "Resource": indexes, "Condition": leading_keys},
            {"Effect": "Allow",
             "Action": ["dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive"],
             "Resource": everything},
            {"Effect": "Allow",
             "Action": ["dynamodb:ListTables", "dynamodb:DescribeLimits"], "Resource": "*"},
            {"Effect": "Allow",
             "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator"],
             "Resource": streams},
            {"Effect": "Deny", "Action": "dynamodb:Scan", "Resource": everything},
            {"Effect": "Deny",
             "Action": ["dynamodb:DeleteTable", "dynamodb:UpdateTable",
                        "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"],
             "Resource": "*"},
            {"Effect": "Deny",
             "NotAction": ["dynamodb:ListTables", "dynamodb:DescribeLimits"],
             "NotResource": everything},
            {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}},
        ],
    }


def main():
    endpoint, root_key, root_secret = sys.argv[1:4]
    session = boto3.session.Session(aws_access_key_id=root_key,
                                    aws_secret_access_key=root_secret, region_name=REGION)
    account = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    iam = session.client("iam", endpoint_url=endpoint)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    # The tables halyard-bench would create, made as the root: the user may
    # not create tables.
    for table, key in [("halyard_bench", [("pk", "HASH", "S")]),
                       ("halyard_bench_range", [("pk", "HASH", "S"), ("sk", "RANGE", "N")])]:
        dynamodb.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": n, "KeyType": k} for n, k, _ in key],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, _, t in key])
        dynamodb.get_waiter("table_exists").wait(TableName=table)
    iam.create_user(UserName=USER)
    iam.put_user_policy(UserName=USER, PolicyName="bench",
                        PolicyDocument=json.dumps(policy(account), separators=(",", ":")))
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    print(key["AccessKeyId"], key["SecretAccessKey"])


if __name__ == "__main__":
    main()
