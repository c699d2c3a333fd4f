"""API inputs and outputs of complaints."""

from rest_framework import serializers

from waterdesk.complaints.models import TEXT_MAX_LENGTH, Complaint


class ComplaintAcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)


class ComplaintSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")

    class Meta:
        model = Complaint
        fields = [
            "category",
            "category_name",
            "matter",
            "demand",
            "city_reference",
            "city_deadline",
            "round",
            "escalation_level",
            "root_cause",
            "is_substantiated",
            "follow_up_at",
            "lessons",
        ]
        read_only_fields = fields
