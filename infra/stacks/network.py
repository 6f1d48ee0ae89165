"""Optional (context `atlas_access=nat`): the function in a VPC whose traffic leaves
through one NAT gateway with one Elastic IP, the single address MongoDB Atlas's IP
access list then needs (output `AtlasEgressIp`) instead of `0.0.0.0/0`.

Two availability zones, each with a private subnet for the function; one public subnet
per zone, but one NAT gateway only (in the first zone): one address to allow, at the
price of egress depending on that zone. The function's security group lets out only
HTTPS (the AWS APIs it calls: Secrets Manager, KMS, SES, X-Ray) and Atlas's ports.
Flow logs of the VPC go to an encrypted log group. Costs and the PrivateLink
alternative: infra/README.md.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.compliance import skip_checkov
from infra.stacks.data import DataProtection
from infra.stacks.names import Names

# Atlas serves clusters on 27017, sharded clusters' mongos and the BI connector on
# 27015-27016.
ATLAS_PORTS = (27015, 27017)
EIP_SKIPS = {
    "CKV2_AWS_19": (
        "the Elastic IP belongs to the NAT gateway, not an instance: it is the one "
        "source address MongoDB Atlas's access list allows"
    )
}


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: DataProtection,
        names: Names,
    ) -> None:
        super().__init__(scope, construct_id)
        self.egress_ip = ec2.CfnEIP(self, "NatAddress", domain="vpc")
        skip_checkov(self.egress_ip, EIP_SKIPS)
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            log_group_name=names.log_group("vpc-flow-logs"),
            retention=config.log_retention,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            encryption_key=data.key,
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/20"),
            max_azs=2,
            nat_gateways=1,
            nat_gateway_provider=ec2.NatProvider.gateway(
                eip_allocation_ids=[self.egress_ip.attr_allocation_id]
            ),
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=26,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="Function", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "FunctionSecurityGroup",
            vpc=self.vpc,
            description="serverless-auth function: HTTPS to AWS APIs, MongoDB Atlas",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs (Secrets Manager, KMS, SES, X-Ray)"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp_range(*ATLAS_PORTS), "MongoDB Atlas"
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
