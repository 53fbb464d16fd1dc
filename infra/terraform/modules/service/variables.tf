variable "name" {
  description = "The service's name, e.g. renkei-production-api; also the task family and the container's name prefix."
  type        = string
}

variable "role" {
  description = "What the container runs: the `renkei` subcommand, `serve` (API) or `worker`."
  type        = string

  validation {
    condition     = contains(["serve", "worker"], var.role)
    error_message = "A long-running service is `serve` or `worker`; migrations run as a one-off task (the migrations module)."
  }
}

variable "cluster_arn" {
  description = "The ECS cluster's ARN."
  type        = string
}

variable "cluster_name" {
  description = "The ECS cluster's name (for the autoscaling resource id)."
  type        = string
}

variable "image" {
  description = "The container image, repository URL and tag (or digest)."
  type        = string
}

variable "cpu" {
  description = "Task CPU units (1024 = 1 vCPU). One `renkei serve` process uses one core at most."
  type        = number
  default     = 1024
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 2048
}

variable "environment" {
  description = "Plain environment variables of the container (no secrets)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager: name -> secret ARN, or ARN:json-key:: for one key of a JSON secret."
  type        = map(string)
  default     = {}
}

variable "execution_role_arn" {
  description = "The execution role (image pull, log stream, these secrets)."
  type        = string
}

variable "task_role_arn" {
  description = "The container's own role."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "log_group_name" {
  description = "CloudWatch log group of the container's JSON lines."
  type        = string
}

variable "min_count" {
  description = "Fewest running tasks (also the count at creation); 2 or more spreads them over zones."
  type        = number
  default     = 2
}

variable "max_count" {
  description = "Most running tasks autoscaling may start."
  type        = number
  default     = 10
}

variable "cpu_target_percent" {
  description = "Target average CPU utilization for target tracking."
  type        = number
  default     = 60
}

variable "container_port" {
  description = "Port the container listens on, for the load balancer (API only; null for the worker)."
  type        = number
  default     = null
}

variable "target_group_arn" {
  description = "Load balancer target group of the API (null for the worker)."
  type        = string
  default     = null
}

variable "request_count_target" {
  description = "Target ALB requests per task per minute for target tracking (API only; null turns it off)."
  type        = number
  default     = null
}

variable "alb_resource_label" {
  description = "app/<lb>/<id>/targetgroup/<tg>/<id>: the load balancer and target group ARN suffixes joined by '/', for ALBRequestCountPerTarget."
  type        = string
  default     = null
}

variable "queue_scaling" {
  description = "Step scaling on a custom metric (the worker's queue depth): namespace, metric_name, and the depth at which to add one or three tasks. Null turns it off."
  type = object({
    namespace     = string
    metric_name   = string
    scale_out_at  = number
    scale_out_big = number
  })
  default = null
}

variable "stop_timeout_seconds" {
  description = "Seconds between SIGTERM and SIGKILL when a task stops (at most 120 on Fargate)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
