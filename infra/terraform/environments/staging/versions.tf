terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State in S3 with a DynamoDB lock; the bucket, key and table come from backend.hcl
  # (copy backend.hcl.example): terraform init -backend-config=backend.hcl
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = var.tags
  }
}

# The disaster-recovery region; without one it points at the primary region and nothing uses it.
provider "aws" {
  alias  = "dr"
  region = coalesce(var.dr_region, var.region)
  default_tags {
    tags = var.tags
  }
}
