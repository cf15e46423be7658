from django.urls import path

from aigc_contest.web.finetuning import views

urlpatterns = [
    path("entries/<int:entry_pk>/", views.editor, name="finetune-editor"),
    path("entries/<int:entry_pk>/set/", views.training_set, name="finetune-set"),
    path("entries/<int:entry_pk>/set/images/", views.add_images, name="finetune-add-images"),
    path("entries/<int:entry_pk>/set/zip/", views.add_zip, name="finetune-add-zip"),
    path("entries/<int:entry_pk>/set/<int:index>/", views.image, name="finetune-image"),
    path("entries/<int:entry_pk>/set/<int:index>/remove/", views.remove_image, name="finetune-remove-image"),
    path("entries/<int:entry_pk>/recipe/", views.recipe, name="finetune-recipe"),
    path("entries/<int:entry_pk>/train/", views.train, name="finetune-train"),
    path("entries/<int:entry_pk>/cancel/", views.cancel, name="finetune-cancel"),
    path("entries/<int:entry_pk>/lora/", views.upload_lora, name="finetune-upload-lora"),
    path("entries/<int:entry_pk>/lora/download/<str:fmt>/", views.download_lora, name="finetune-download-lora"),
    path("entries/<int:entry_pk>/samples/<int:index>/", views.sample, name="finetune-sample"),
    path("entries/<int:entry_pk>/description/", views.description, name="finetune-description"),
    path("entries/<int:entry_pk>/submit/", views.submit, name="finetune-submit"),
    path("categories/<int:category_pk>/limits/", views.limits, name="finetune-limits"),
]
