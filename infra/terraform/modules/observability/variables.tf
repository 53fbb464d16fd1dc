variable "name" {
  description = "Prefix of every resource's name, e.g. renkei-production."
  type        = string
}

variable "kms_key_arn" {
  description = "The customer managed KMS key of the log groups and the alarm topic."
  type        = string
}

variable "log_retention_days" {
  description = "How many days the containers' logs are kept (CloudWatch allows 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  type        = number
  default     = 365
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of Renkei's own metrics (outbox backlog, queue depth)."
  type        = string
  default     = "Renkei"
}

variable "load_balancer_arn_suffix" {
  description = "The load balancer's ARN suffix (dimension LoadBalancer)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "The API target group's ARN suffix (dimension TargetGroup)."
  type        = string
}

variable "db_instance_identifier" {
  description = "The RDS instance (dimension DBInstanceIdentifier)."
  type        = string
}

variable "error_rate_percent" {
  description = "Alarm when more than this share of requests answer 5xx over 5 minutes."
  type        = number
  default     = 1
}

variable "p99_latency_seconds" {
  description = "Alarm when the 99th percentile of the targets' response time exceeds this for 10 minutes."
  type        = number
  default     = 1
}

variable "outbox_backlog_threshold" {
  description = "Alarm when more outbox messages than this wait to be relayed for 10 minutes."
  type        = number
  default     = 1000
}

variable "queue_depth_threshold" {
  description = "Alarm when more jobs than this wait in the arq queue for 10 minutes."
  type        = number
  default     = 500
}

variable "db_cpu_percent" {
  description = "Alarm when the database's CPU stays above this for 15 minutes."
  type        = number
  default     = 80
}

variable "db_free_storage_bytes" {
  description = "Alarm when the database's free storage falls below this."
  type        = number
  default     = 10737418240
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
