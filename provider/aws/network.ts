/**
 * gantry:aws:Network — where tasks, file systems and load balancers live.
 *
 * Either an existing VPC from stack config (`gantry:network: { vpcId, privateSubnetIds,
 * publicSubnetIds }`), or a new one: a /16 over two availability zones, a public and a private
 * subnet in each, an internet gateway, one NAT gateway for the private subnets' egress, and an S3
 * gateway endpoint (ECR image layers come from S3, so pulls skip the NAT).
 *
 * Cost: the NAT gateway is the only fixed cost (~$33/month plus $0.045/GB in us-east-1); bring
 * your own VPC to share one.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkConfig } from "./config.ts";
import { GantryComponent, type StackInfo } from "./component.ts";

const AZ_COUNT = 2;

export class Network extends GantryComponent {
  vpcId!: pulumi.Output<string>;
  privateSubnetIds!: pulumi.Output<string[]>;
  publicSubnetIds!: pulumi.Output<string[]>;

  constructor(name: string, info: StackInfo, config: NetworkConfig, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:Network", name, info, null, opts);
    if (config.kind === "existing") {
      this.vpcId = pulumi.output(config.vpcId);
      this.privateSubnetIds = pulumi.output(config.privateSubnetIds);
      this.publicSubnetIds = pulumi.output(config.publicSubnetIds);
    } else {
      this.createVpc(name, config.cidr);
    }
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }

  private createVpc(name: string, cidr: string): void {
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this });
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: cidr,
      enableDnsHostnames: true, // EFS mount targets are reached by DNS name
      enableDnsSupport: true,
      tags: { ...this.tags, Name: `${name}-vpc` },
    }, this.childOpts);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...this.tags, Name: `${name}-igw` } }, this.childOpts);
    const publicTable = this.createPublicRoutes(name, vpc, igw);
    const publicSubnets: aws.ec2.Subnet[] = [];
    const privateSubnets: aws.ec2.Subnet[] = [];
    for (let i = 0; i < AZ_COUNT; i++) {
      const az = zones.names.apply((names) => names[i]);
      publicSubnets.push(this.createSubnet(`${name}-public-${i + 1}`, vpc, az, subnetCidr(cidr, i), true));
      privateSubnets.push(this.createSubnet(`${name}-private-${i + 1}`, vpc, az, subnetCidr(cidr, AZ_COUNT + i), false));
    }
    publicSubnets.forEach((subnet, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}`, {
      subnetId: subnet.id, routeTableId: publicTable.id,
    }, this.childOpts));
    const nat = this.createNat(name, publicSubnets[0], igw);
    const privateTable = this.createPrivateRoutes(name, vpc, nat);
    privateSubnets.forEach((subnet, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${i + 1}`, {
      subnetId: subnet.id, routeTableId: privateTable.id,
    }, this.childOpts));
    this.createS3Endpoint(name, vpc, [privateTable, publicTable]);
    this.vpcId = vpc.id;
    this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
    this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
  }

  private createSubnet(name: string, vpc: aws.ec2.Vpc, az: pulumi.Output<string>, cidr: string, isPublic: boolean): aws.ec2.Subnet {
    return new aws.ec2.Subnet(name, {
      vpcId: vpc.id,
      availabilityZone: az,
      cidrBlock: cidr,
      mapPublicIpOnLaunch: isPublic,
      tags: { ...this.tags, Name: name, "gantry:tier": isPublic ? "public" : "private" },
    }, this.childOpts);
  }

  private createPublicRoutes(name: string, vpc: aws.ec2.Vpc, igw: aws.ec2.InternetGateway): aws.ec2.RouteTable {
    return new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: { ...this.tags, Name: `${name}-public` },
    }, this.childOpts);
  }

  private createNat(name: string, subnet: aws.ec2.Subnet, igw: aws.ec2.InternetGateway): aws.ec2.NatGateway {
    const eip = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags: { ...this.tags, Name: `${name}-nat` } }, this.childOpts);
    return new aws.ec2.NatGateway(`${name}-nat`, {
      allocationId: eip.id,
      subnetId: subnet.id,
      connectivityType: "public",
      tags: { ...this.tags, Name: `${name}-nat` },
    }, { ...this.childOpts, dependsOn: [igw] });
  }

  private createPrivateRoutes(name: string, vpc: aws.ec2.Vpc, nat: aws.ec2.NatGateway): aws.ec2.RouteTable {
    return new aws.ec2.RouteTable(`${name}-private`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
      tags: { ...this.tags, Name: `${name}-private` },
    }, this.childOpts);
  }

  private createS3Endpoint(name: string, vpc: aws.ec2.Vpc, tables: aws.ec2.RouteTable[]): void {
    const region = aws.getRegionOutput({}, { parent: this });
    new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: tables.map((t) => t.id),
      tags: { ...this.tags, Name: `${name}-s3` },
    }, this.childOpts);
  }
}

/** The i-th /20 of a /16 (public subnets first, then private ones). */
export function subnetCidr(vpcCidr: string, index: number): string {
  const [ip, bits] = vpcCidr.split("/");
  if (bits !== "16") throw new Error(`gantry:network.cidr must be a /16, got ${vpcCidr}`);
  const [a, b] = ip.split(".").map(Number);
  return `${a}.${b}.${index * 16}.0/20`;
}
